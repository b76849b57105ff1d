"""Body metrics: weight, body fat, circumferences, resting heart rate, blood pressure, sleep, hydration."""
