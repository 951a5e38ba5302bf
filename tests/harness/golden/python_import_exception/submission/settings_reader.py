import helpers

VALUE = helpers.load()
