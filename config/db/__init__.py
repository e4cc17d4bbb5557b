"""Database backends: Django's own, with the changes this project needs."""
