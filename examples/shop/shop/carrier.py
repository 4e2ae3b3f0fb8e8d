import time

import httpx

TRACKING_URL = "https://carrier.example.com/api/v2/track"


async def track_all(numbers):
    results = {}
    async with httpx.AsyncClient(timeout=10) as client:
        for number in numbers:
            response = await client.get(f"{TRACKING_URL}/{number}")
            results[number] = response.json()
            time.sleep(0.2)
    return results
