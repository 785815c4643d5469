"""Second and third derivatives, Hessian-vector products, via create_graph."""
from . import scenario


@scenario
def cube_derivatives(torch, rec):
    x = torch.tensor(rec.data(3), requires_grad=True)
    g1, = torch.autograd.grad((x ** 3).sum(), x, create_graph=True)
    g2, = torch.autograd.grad(g1.sum(), x, create_graph=True)
    g3, = torch.autograd.grad(g2.sum(), x)
    rec("g1", g1)
    rec("g2", g2)
    rec("g3", g3)


@scenario
def hessian_vector_product(torch, rec):
    x = torch.tensor(rec.data(3), requires_grad=True)
    y = (x ** 2).sum() * x.sum() + (x.exp() * x.sin()).sum()
    g, = torch.autograd.grad(y, x, create_graph=True)
    hv, = torch.autograd.grad(g, x, grad_outputs=torch.tensor([1.0, -1.0, 0.5]))
    rec("g", g)
    rec("hv", hv)
