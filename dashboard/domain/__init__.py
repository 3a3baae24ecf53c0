"""Pure logic on Polars frames: KPIs, forecasts, target tracking, filters."""
