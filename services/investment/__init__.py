"""Investment service: investment leads (招商引資) from first referral to landed project, and referral rewards."""
