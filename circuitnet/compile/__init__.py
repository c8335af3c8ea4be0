"""Compiled tables (frozen), the caller-owned values solved with, and the operating conditions of a solve."""
