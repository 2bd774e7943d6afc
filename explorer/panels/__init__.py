"""The main window's panels: each shows one thing and emits what the user does with it."""
