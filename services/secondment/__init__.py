"""Secondment service (外出鍛煉): township cadres out for two years, their units' headcount and the 5 % target."""
