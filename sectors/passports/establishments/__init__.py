"""Establishments (Absher Business): companies that sponsor workers under their unified number and
act through their authorised users. `fields`: the `establishment` query; `seed`: the demo's."""
