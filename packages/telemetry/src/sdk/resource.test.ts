import { describe, expect, it } from 'vitest';
import { TelemetryError } from '../errors.js';
import { serviceResourceAttributes } from './resource.js';

describe('serviceResourceAttributes', () => {
  it('maps the service catalog metadata to OpenTelemetry resource attributes', () => {
    expect(
      serviceResourceAttributes({
        name: 'where2eat',
        version: '1.4.0',
        environment: 'production',
        appId: 'app-where2eat',
        team: 'dining',
        costCenter: 'cc-1234',
      }),
    ).toEqual({
      'service.name': 'where2eat',
      'service.version': '1.4.0',
      'deployment.environment.name': 'production',
      'app.id': 'app-where2eat',
      team: 'dining',
      cost_center: 'cc-1234',
    });
  });

  it('leaves out unset and empty values', () => {
    expect(serviceResourceAttributes({ name: 'svc', version: '', team: undefined })).toEqual({
      'service.name': 'svc',
    });
  });

  it('rejects a missing name and non-string values', () => {
    expect(() => serviceResourceAttributes({ name: '' })).toThrow(TelemetryError);
    expect(() => serviceResourceAttributes({ name: 'svc', team: 42 as unknown as string })).toThrow(
      /service\.team must be a string/,
    );
  });
});
