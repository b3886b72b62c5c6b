"""The built-in model library: `library/models/*.yaml`, loaded by `qingfeng.engine.load_models`."""
