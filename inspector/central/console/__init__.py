"""The central office's console: server-rendered pages for staff, under `/` of the central app."""
