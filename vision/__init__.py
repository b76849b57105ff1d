"""fithub vision: pose landmarks in, rep events and form feedback out (pure computation).

- :mod:`~fithub.vision.pose`: MediaPipe Pose on images and video clips (needs mediapipe + OpenCV);
- :mod:`~fithub.vision.landmarks`, :mod:`~fithub.vision.body`, :mod:`~fithub.vision.features`:
  landmark frames and view-robust, body-size-normalised geometry;
- :mod:`~fithub.vision.signal`, :mod:`~fithub.vision.cycles`, :mod:`~fithub.vision.reps`: the
  online, adaptive rep counter and the :class:`~fithub.vision.reps.ExerciseModel` base class;
- :mod:`~fithub.vision.classifiers`: the built-in exercises, registered as a plugin;
- :mod:`~fithub.vision.auto`: recognising the exercise; :mod:`~fithub.vision.events`: what comes out;
- :mod:`~fithub.vision.synthetic`: landmark sequences of a virtual person, for tests.

Nothing here knows about HTTP, WebSockets or the database (docs/adr/0004-rep-counting.md).
"""
