"""Renderers: pure functions from the hub's typed records to outbound documents."""

from tabadol.deliver.render.ninjs import NINJS_MEDIA_TYPE, item_to_ninjs, version_to_ninjs

__all__ = ["NINJS_MEDIA_TYPE", "item_to_ninjs", "version_to_ninjs"]
