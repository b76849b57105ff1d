"""Apple Health data in fithub: export files uploaded and imported by a job, and pushed batches."""
