"""同心数据看板: store, division tree, indicator catalog, roll-up rules, demo data and CLI."""
