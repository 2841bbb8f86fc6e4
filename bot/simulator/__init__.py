"""An embedded Hey Now: the whole API of the vendor document, on a real HTTP server.

The app uses it when HEYNOW_URL is not set, so a new user can run the bot at once; the tests
use it as Hey Now; `heynow-bot simulator` runs it alone.
"""

from bot.simulator.state import SimulatorState, StateFileError, WorldError, load_config
from bot.simulator.wsgi import make_wsgi_app

__all__ = ["SimulatorState", "StateFileError", "WorldError", "load_config", "make_wsgi_app"]
