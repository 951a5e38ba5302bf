"""Running untrusted code: images, one container per grading, the orphan sweep.

Import from the module that defines a name (sandbox.errors, sandbox.limits,
sandbox.engine, sandbox.images, sandbox.runner, ...); this package re-exports
nothing, so `import sandbox` loads no docker SDK by itself.
"""
