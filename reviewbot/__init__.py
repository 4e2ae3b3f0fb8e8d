"""reviewbot: reviews Python backend changes for performance problems."""

from reviewbot.analysis import analyze
from reviewbot.config import Config, ConfigError
from reviewbot.findings import AnalysisResult, FileError, Finding, Principle, Severity

__all__ = ["AnalysisResult", "Config", "ConfigError", "FileError", "Finding", "Principle", "Severity", "analyze"]
__version__ = "0.1.0"
