import sys, os, warnings, re
os.environ["SRCGRAD_JOINT_OPERATIONS"] = "4"
import srcgrad
from srcgrad.compiler.frontend.inline import joint
from srcgrad.compiler.frontend.parse import parse
from tests.fuzz.gen import generate
from tests.fuzz.runner import load
warnings.simplefilter("ignore")
n = 0
for seed in range(4200000, 4200100):
    p = generate(seed)
    if len(re.findall(r"\bh0\(", p.source)) >= 3:
        m = load(p.source)
        print(seed, joint.MIN_OPERATIONS, [f.__name__ for f in joint.joint_helpers(parse(m.f))])
        n += 1
        if n == 1:
            print(p.source)
        if n > 4: break
