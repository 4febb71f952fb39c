"""The demo alliance: real agencies, real multilingual stories, ready to explore (`tabadol demo`)."""

from tabadol.demo.loader import DemoReport, load_demo

__all__ = ["DemoReport", "load_demo"]
