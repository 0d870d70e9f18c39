-- The indicator catalog in display order.
SELECT * FROM indicators ORDER BY sort_order
