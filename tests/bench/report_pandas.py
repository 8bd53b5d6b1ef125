#!/usr/bin/python3
"""report_pandas.py DATA_DIR ZIPS_CSV: the speed peer of `filmseg report`.

The same work in pandas: load u.user, u.item (ISO-8859-1), u.data and the ZIP
list; join ZIPs to states; drop Alaska, Hawaii and unknown states with their
ratings; then the report's figures, the top 10 films per score, and the age,
occupation, state and rating tables, printed as text."""
import sys
import pandas as pd

data, zips = sys.argv[1], sys.argv[2]
u = pd.read_csv(f"{data}/u.user", sep="|", names=["user_id", "age", "gender", "occupation", "zip"],
                dtype={"zip": str})
genres = [f"g{i}" for i in range(19)]
items = pd.read_csv(f"{data}/u.item", sep="|", encoding="latin-1", header=None,
                    names=["item_id", "title", "release", "video", "url"] + genres)
items["year"] = pd.to_datetime(items.release, format="%d-%b-%Y", errors="coerce").dt.year
r = pd.read_csv(f"{data}/u.data", sep="\t", names=["user_id", "item_id", "rating", "ts"])
z = pd.read_csv(zips, dtype=str)
z["zip"] = z["zip"].str.zfill(5)
users_read = len(u)
u = u.merge(z[["zip", "state_name"]], on="zip", how="left")
no_state = u.state_name.isna().sum()
ak, hi = (u.state_name == "Alaska").sum(), (u.state_name == "Hawaii").sum()
u = u[u.state_name.notna() & ~u.state_name.isin(["Alaska", "Hawaii"])]
r = r[r.user_id.isin(u.user_id)]

print(f"users in u.user {users_read}")
print(f"users kept {len(u)}")
print(f"dropped: no state / Alaska / Hawaii {no_state} / {ak} / {hi}")
g = u.gender.value_counts()
print(f"male / female {g.get('M', 0)} / {g.get('F', 0)} ({100 * g.get('M', 0) / len(u):.1f}% male)")
print(f"age mean / median / min / max {u.age.mean():.2f} / {u.age.median():g} / {u.age.min()} / {u.age.max()}")
print(f"distinct states {u.state_name.nunique()}")
rc = r.rating.value_counts().sort_index()
print(f"ratings kept {len(r):,} " + " ".join(f"{s}* {rc.get(s, 0):,}" for s in range(1, 6)))
print("top occupations " + ", ".join(f"{k} {v}" for k, v in u.occupation.value_counts().head(6).items()))
print("top states " + ", ".join(f"{k} {v}" for k, v in u.state_name.value_counts().head(5).items()))

counts = r.groupby(["rating", "item_id"]).size().rename("n").reset_index()
cols = []
for s in range(5, 0, -1):
    top = counts[counts.rating == s].sort_values(["n", "item_id"], ascending=[False, True]).head(10)
    top = top.merge(items[["item_id", "title"]], on="item_id", how="left")
    cols.append(top[["n", "title"]].reset_index(drop=True).rename(columns={"n": f"n_{s}", "title": f"title_{s}"}))
print(pd.concat(cols, axis=1).to_string(index=False))

bands = pd.cut(u.age, [0, 18, 25, 35, 45, 50, 56, 200], right=False,
               labels=["Under 18", "18-24", "25-34", "35-44", "45-49", "50-55", "56+"])
print(bands.value_counts(sort=False).to_string())
print(u.occupation.value_counts().to_string())
print(u.state_name.value_counts().to_string())
print(r.rating.value_counts().sort_index(ascending=False).to_string())
print(f"mean rating {r.rating.mean():.2f}")
