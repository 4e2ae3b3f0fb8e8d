"""Rendering findings for people and tools, without I/O: each renderer takes findings and
returns text.

- `markdown`: review comment bodies and the review summary the App posts; `review_plan` decides
  which findings are commented inline.
- `text`: the terminal output of `reviewbot check` (code frames and a summary line).
- `json_output`, `sarif`, `annotations`: `--format json`, `--format sarif` (SARIF 2.1.0) and
  `--format github` (GitHub Actions workflow commands).
"""
