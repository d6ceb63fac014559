"""The run pages' helpers that have a folder of their own (the older run_* modules sit beside it)."""
