"""What this connector is: the protocol it speaks, the library it uses and whether it is pushed or polled."""

PROTOCOL = "opcua"
LIBRARY = "asyncua"
MODE = "push"  # a subscription: the server publishes data changes at the publishing interval
