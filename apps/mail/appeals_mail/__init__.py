"""The e-mail channel: letters to the city's appeals address become appeals, answered in their thread."""
