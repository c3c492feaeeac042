"""Modbus TCP polling (pymodbus): register maps with data types, word order and scaling."""
