"""Personal data: CSV and full exports, and account deletion that leaves nothing behind."""
