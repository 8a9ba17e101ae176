"""Investment service: investment leads (招商引资) from first referral to landed project, and referral rewards."""
