"""What this connector is: the protocol it speaks, the library it uses and whether it is pushed or polled."""

PROTOCOL = "mqtt"
LIBRARY = "paho-mqtt"
MODE = "push"  # a subscription: the broker delivers each published message (QoS 1, acknowledged once stored)
