"""What this connector is: the protocol it speaks, the library it uses and whether it is pushed or polled."""

PROTOCOL = "modbus"
LIBRARY = "pymodbus"
MODE = "poll"  # the coordinator reads the register map every poll interval
