import gc, time, os
os.environ.update(AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local", AWS_DEFAULT_REGION="us-east-1")
import data, servers, cases
import dynamorm_lab as dl
from dynamorm_lab._codec import decoder_for
items = data.generate(20000); wire = data.to_wire(items)
with servers.dynalite() as url:
    s = cases.Server.open(url); s.load(wire)
    res = data.Item.scan().using(s.conn).allow_scan().all()
    raw = res.raw
    print(type(raw[0]["tags"]["SS"]), raw[0]["tags"], raw[0]["blob"])
    for g in (True, False):
        if g: gc.enable()
        else: gc.disable()
        for _ in range(2):
            t = time.process_time(); res.to_pandas(); print("frame gc", g, time.process_time() - t)
            t = time.process_time(); [data.Item.from_item(r) for r in raw]; print("from_item gc", g, time.process_time() - t)
    gc.enable()
    dec = data.Item.__dynamorm_attrs__["tags"].decode
    t = time.process_time(); [dec(r["tags"]) for r in raw]; print("tags decode", time.process_time() - t)
    t = time.process_time(); [dec(w["tags"]) for w in wire]; print("tags decode (TypeSerializer wire)", time.process_time() - t)
    print(gc.get_count(), gc.get_threshold(), len(gc.get_objects()))
