"""The netlist layer: SPICE text -> Circuit (parser) and Circuit -> SPICE text (writer)."""
from .parser import parse_netlist as parse_netlist, read_netlist as read_netlist
from .units import format_value as format_value, parse_value as parse_value
from .writer import write_netlist as write_netlist
