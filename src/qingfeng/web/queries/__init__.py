"""One data function per view: each takes a session, the signed-in principal and parsed inputs,
and returns a plain dataclass the template renders. Scoping happens here, on every query."""
