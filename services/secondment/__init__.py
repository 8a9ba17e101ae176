"""Secondment service (外出锻炼): township cadres out for two years, their units' headcount and the 5 % target."""
