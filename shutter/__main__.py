from shutter.cli import app

app()
