{{/* Short name of the app. */}}
{{- define "micro-app.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Full name: fullnameOverride, else the release name when it contains the app name, else both. */}}
{{- define "micro-app.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "micro-app.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Labels the pods are selected by: never change them on a live release. */}}
{{- define "micro-app.selectorLabels" -}}
app.kubernetes.io/name: {{ include "micro-app.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels of every resource. */}}
{{- define "micro-app.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "micro-app.selectorLabels" . }}
app.kubernetes.io/version: {{ include "micro-app.imageTag" . | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: {{ .Values.app.partOf }}
{{- with .Values.app.team }}
micro-app.dev/team: {{ . }}
{{- end }}
{{- with .Values.app.costCenter }}
micro-app.dev/cost-center: {{ . | quote }}
{{- end }}
micro-app.dev/environment: {{ .Values.environment }}
{{- end -}}

{{- define "micro-app.imageTag" -}}
{{- .Values.image.tag | default .Chart.AppVersion -}}
{{- end -}}

{{/* repository@digest when a digest is set, else repository:tag. */}}
{{- define "micro-app.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (include "micro-app.imageTag" .) -}}
{{- end -}}
{{- end -}}

{{- define "micro-app.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "micro-app.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Seconds the pod needs to stop cleanly: preStop sleep + drain + in-flight timeout. */}}
{{- define "micro-app.shutdownSeconds" -}}
{{- add .Values.shutdown.preStopSleepSeconds (div (add .Values.shutdown.drainMs .Values.shutdown.timeoutMs 999) 1000) -}}
{{- end -}}

{{/* Environment of the app container (also used by the migration Job). */}}
{{- define "micro-app.env" -}}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: PORT
  value: {{ .Values.containerPort | quote }}
- name: METRICS_PORT
  value: {{ .Values.metricsPort | quote }}
- name: SHUTDOWN_DRAIN_MS
  value: {{ .Values.shutdown.drainMs | quote }}
- name: SHUTDOWN_TIMEOUT_MS
  value: {{ .Values.shutdown.timeoutMs | quote }}
- name: DEPLOY_ENV
  value: {{ .Values.environment | quote }}
- name: OTEL_SERVICE_NAME
  value: {{ include "micro-app.name" . | quote }}
{{- $attrs := list (printf "service.version=%s" (include "micro-app.imageTag" .)) (printf "deployment.environment.name=%s" .Values.environment) "k8s.namespace.name=$(POD_NAMESPACE)" "k8s.pod.name=$(POD_NAME)" }}
{{- with .Values.app.team }}{{ $attrs = append $attrs (printf "team=%s" .) }}{{ end }}
{{- with .Values.app.costCenter }}{{ $attrs = append $attrs (printf "cost_center=%s" .) }}{{ end }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ join "," $attrs | quote }}
{{- if .Values.dataDir.enabled }}
- name: DATA_DIR
  value: {{ .Values.dataDir.mountPath | quote }}
{{- end }}
{{- /* A null entry unsets a name an earlier values file set (Helm only deletes keys of the chart's own values.yaml). */}}
{{- range $name, $value := .Values.env }}
{{- if not (kindIs "invalid" $value) }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end }}
{{- range $name, $ref := .Values.secretEnv }}
{{- if not (kindIs "invalid" $ref) }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $ref.secretName | default $.Values.secrets.existingSecret | required (printf "secretEnv.%s needs secretName or secrets.existingSecret" $name) }}
      key: {{ $ref.key }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Restricted pod security context, shared by the app, the migration Job and the test pod. */}}
{{- define "micro-app.podSecurityContext" -}}
{{- toYaml .Values.podSecurityContext }}
{{- end -}}

{{- define "micro-app.containerSecurityContext" -}}
{{- toYaml .Values.securityContext }}
{{- end -}}

{{/* The pod template shared by the Deployment and the Rollout. */}}
{{- define "micro-app.podTemplate" -}}
metadata:
  labels:
    {{- include "micro-app.labels" . | nindent 4 }}
    app.kubernetes.io/component: server
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .Values.podAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  serviceAccountName: {{ include "micro-app.serviceAccountName" . }}
  automountServiceAccountToken: {{ .Values.serviceAccount.automountToken }}
  enableServiceLinks: false
  terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    {{- include "micro-app.podSecurityContext" . | nindent 4 }}
  containers:
    - name: app
      image: {{ include "micro-app.image" . | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      {{- with .Values.args }}
      args:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      ports:
        - name: http
          containerPort: {{ .Values.containerPort }}
          protocol: TCP
        - name: metrics
          containerPort: {{ .Values.metricsPort }}
          protocol: TCP
      env:
        {{- include "micro-app.env" . | nindent 8 }}
      startupProbe:
        httpGet:
          path: {{ .Values.probes.startup.path }}
          port: http
        periodSeconds: {{ .Values.probes.startup.periodSeconds }}
        timeoutSeconds: {{ .Values.probes.startup.timeoutSeconds }}
        failureThreshold: {{ .Values.probes.startup.failureThreshold }}
      livenessProbe:
        httpGet:
          path: {{ .Values.probes.liveness.path }}
          port: http
        periodSeconds: {{ .Values.probes.liveness.periodSeconds }}
        timeoutSeconds: {{ .Values.probes.liveness.timeoutSeconds }}
        failureThreshold: {{ .Values.probes.liveness.failureThreshold }}
      readinessProbe:
        httpGet:
          path: {{ .Values.probes.readiness.path }}
          port: http
        periodSeconds: {{ .Values.probes.readiness.periodSeconds }}
        timeoutSeconds: {{ .Values.probes.readiness.timeoutSeconds }}
        failureThreshold: {{ .Values.probes.readiness.failureThreshold }}
      {{- if gt (int .Values.shutdown.preStopSleepSeconds) 0 }}
      lifecycle:
        preStop:
          sleep:
            seconds: {{ .Values.shutdown.preStopSleepSeconds }}
      {{- end }}
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      securityContext:
        {{- include "micro-app.containerSecurityContext" . | nindent 8 }}
      volumeMounts:
        - name: tmp
          mountPath: /tmp
        {{- if .Values.dataDir.enabled }}
        - name: data
          mountPath: {{ .Values.dataDir.mountPath }}
        {{- end }}
  volumes:
    - name: tmp
      emptyDir:
        sizeLimit: {{ .Values.tmpDir.sizeLimit }}
    {{- if .Values.dataDir.enabled }}
    - name: data
      emptyDir:
        sizeLimit: {{ .Values.dataDir.sizeLimit }}
    {{- end }}
  {{- if .Values.topologySpread.enabled }}
  topologySpreadConstraints:
    - maxSkew: {{ .Values.topologySpread.maxSkew }}
      topologyKey: topology.kubernetes.io/zone
      whenUnsatisfiable: {{ .Values.topologySpread.zone }}
      labelSelector:
        matchLabels:
          {{- include "micro-app.selectorLabels" . | nindent 10 }}
      matchLabelKeys: [{{ ternary "rollouts-pod-template-hash" "pod-template-hash" .Values.rollout.enabled }}]
    - maxSkew: {{ .Values.topologySpread.maxSkew }}
      topologyKey: kubernetes.io/hostname
      whenUnsatisfiable: {{ .Values.topologySpread.host }}
      labelSelector:
        matchLabels:
          {{- include "micro-app.selectorLabels" . | nindent 10 }}
      matchLabelKeys: [{{ ternary "rollouts-pod-template-hash" "pod-template-hash" .Values.rollout.enabled }}]
  {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
