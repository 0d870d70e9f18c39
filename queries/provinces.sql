-- The codes of the regions one step below the country.
SELECT code FROM regions WHERE depth = 1 ORDER BY code
