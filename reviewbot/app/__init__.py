"""The GitHub App's processes: `reviewbot serve` (web server and worker) and `reviewbot worker`."""
