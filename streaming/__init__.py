"""Live workout streaming over WebSocket: camera frames or landmarks in, reps and form cues out."""
