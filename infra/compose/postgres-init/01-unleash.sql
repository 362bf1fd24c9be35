-- Unleash keeps its own database next to the app's (first start of the volume only).
CREATE DATABASE unleash;
