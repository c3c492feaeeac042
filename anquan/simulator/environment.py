"""The weather and the clock every unit of the plant shares.

The climate is a coastal site in northern Jiangsu (the demo park at Binhai): a yearly mean of
about 15 °C swinging ±11 °C between late January and late July, a daily swing of ±4 °C peaking at
15:00, and passing weather of up to ±2.5 °C over days. Tuned so that normal weather stays inside
the demo's ambient limits (−5 / 35 °C) and winds below Beaufort force 5 (8 m/s): the simulated
normal plant raises no weather alarms.
"""

from __future__ import annotations

import numpy as np

from anquan.simulator import noise

DAY_S = 86_400.0
YEAR_S = 365.2425 * DAY_S

# Climate (°C, m/s): named so the physics reads as sentences.
ANNUAL_MEAN_C = 15.0
ANNUAL_SWING_C = 11.0
COLDEST_DAY = 20  # day of the year with the lowest mean (late January)
DAILY_SWING_C = 4.0
WARMEST_HOUR = 15.0
WEATHER_SWING_C = 2.5
WIND_MEAN = 3.0


class Environment:
    def __init__(self, seed: int, utc_offset_h: float) -> None:
        self.offset_s = utc_offset_h * 3600.0
        self._weather = noise.key(seed, "weather", "temperature")
        self._wind = noise.key(seed, "weather", "wind")

    # --- the clock -------------------------------------------------------------------------
    def local_s(self, t_s: np.ndarray) -> np.ndarray:
        return t_s + self.offset_s

    def hour(self, t_s: np.ndarray) -> np.ndarray:
        """Local hour of the day, 0 ≤ h < 24."""
        return (self.local_s(t_s) % DAY_S) / 3600.0

    def day_index(self, t_s: np.ndarray) -> np.ndarray:
        """Local calendar day number (days since 1970-01-01 local)."""
        return np.floor(self.local_s(t_s) / DAY_S)

    def season(self, t_s: np.ndarray) -> np.ndarray:
        """−1 in the depth of winter, +1 at the height of summer."""
        day_of_year = (self.local_s(t_s) % YEAR_S) / DAY_S
        return -np.cos(2.0 * np.pi * (day_of_year - COLDEST_DAY) / 365.2425)

    def daylight(self, t_s: np.ndarray) -> np.ndarray:
        """Sun on the plant: 0 at night, 1 at noon."""
        return np.clip(np.sin(np.pi * (self.hour(t_s) - 6.0) / 12.0), 0.0, None)

    # --- temperature -----------------------------------------------------------------------
    def seasonal_mean(self, t_s: np.ndarray) -> np.ndarray:
        return ANNUAL_MEAN_C + ANNUAL_SWING_C * self.season(t_s)

    def weather_slow(self, t_s: np.ndarray) -> np.ndarray:
        """The multi-day part of passing weather, in [-1, 1]."""
        return noise.smooth(self._weather, t_s, 3.0 * DAY_S)

    def weather_fast(self, t_s: np.ndarray) -> np.ndarray:
        return noise.smooth(self._weather ^ 0xA5A5, t_s, 20 * 3600.0)

    def ambient(self, t_s: np.ndarray) -> np.ndarray:
        """Air temperature without instrument noise (°C)."""
        daily = DAILY_SWING_C * np.cos(2.0 * np.pi * (self.hour(t_s) - WARMEST_HOUR) / 24.0)
        weather = WEATHER_SWING_C * (0.65 * self.weather_slow(t_s) + 0.35 * self.weather_fast(t_s))
        return self.seasonal_mean(t_s) + daily + weather

    def ground(self, t_s: np.ndarray) -> np.ndarray:
        """What big masses (a tank of product, the soil) follow: the season a week late plus the
        slow weather half a day late."""
        return (
            ANNUAL_MEAN_C
            + 0.97 * ANNUAL_SWING_C * self.season(t_s - 7 * DAY_S)
            + 0.6 * WEATHER_SWING_C * 0.65 * self.weather_slow(t_s - 0.5 * DAY_S)
        )

    # --- wind ------------------------------------------------------------------------------
    def wind(self, t_s: np.ndarray) -> np.ndarray:
        """Mean wind speed at 10 m (m/s), windier in the afternoon (sea breeze)."""
        hour = self.hour(t_s)
        afternoon = np.clip(np.sin(np.pi * (hour - 9.0) / 10.0), 0.0, None)
        slow = noise.smooth(self._wind, t_s, 1.5 * DAY_S)
        fast = noise.smooth(self._wind ^ 0x5A5A, t_s, 3 * 3600.0)
        return np.clip(WIND_MEAN + 1.6 * slow + 0.8 * fast + 0.7 * afternoon, 0.3, None)

    def dilution(self, t_s: np.ndarray) -> np.ndarray:
        """How much a gas release is diluted by the wind, 1 at the mean wind."""
        return (1.0 + WIND_MEAN / 4.0) / (1.0 + self.wind(t_s) / 4.0)
