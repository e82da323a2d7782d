from smartstart.cli import app

app(prog_name="smartstart")
