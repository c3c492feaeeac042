"""MQTT (paho-mqtt, MQTT 5): subscribed topics carry readings in the shared JSON payload formats."""
