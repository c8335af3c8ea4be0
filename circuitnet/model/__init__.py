"""The circuit model: elements and their declared physics, circuits, topology helpers, constants, validation, network builders."""
