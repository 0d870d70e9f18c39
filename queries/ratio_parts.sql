-- The numerator and denominator of every ratio indicator.
SELECT numerator, denominator FROM indicators WHERE kind = 'ratio'
