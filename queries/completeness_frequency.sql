-- How often each indicator is reported: the most common period length (months) of its facts.
SELECT indicator_id, mode(months) AS months
FROM facts
GROUP BY indicator_id
