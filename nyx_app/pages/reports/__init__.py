"""The reports feature's page parts that have a folder of their own."""
