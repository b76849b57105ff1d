"""Live telemetry: pure computations over wearable sensor data (BLE payloads, heart-rate science)."""
