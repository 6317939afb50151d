import cProfile, pstats, os, io
os.environ.update(AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local", AWS_DEFAULT_REGION="us-east-1")
import data, servers, cases
items = data.generate(20000); wire = data.to_wire(items)
keys = [(i["pk"], i["sk"]) for i in items[::20]][:1000]
objs = data.dl_objects(items[:5000], data.WriteItem)
with servers.dynalite() as url:
    s = cases.Server.open(url); s.load(wire)
    s.conn.batch_get(data.Item, keys); s.conn.batch_write(objs)
    for title, fn in (("batch_get", lambda: s.conn.batch_get(data.Item, keys)), ("batch_write", lambda: s.conn.batch_write(objs))):
        p = cProfile.Profile(); p.runcall(fn)
        out = io.StringIO(); pstats.Stats(p, stream=out).sort_stats("tottime").print_stats(14); print("##", title); print(out.getvalue()[:4500])
