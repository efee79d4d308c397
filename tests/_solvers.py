"""Every games solver constructor, by name, as a function of its learning rate."""

from gmath import games as gg

__all__ = ["SOLVERS_BY_RATE"]

SOLVERS_BY_RATE = {
    "gda": gg.gda,
    "gda_alternating": lambda learning_rate: gg.gda(learning_rate=learning_rate, alternating=True),
    "extragradient": gg.extragradient,
    "optimistic_gda": gg.optimistic_gda,
    "proximal_point": gg.proximal_point,
    "cgd": gg.cgd,
    "follow_the_ridge": gg.follow_the_ridge,
    "consensus": gg.consensus,
    "sga": gg.sga,
    "lola": gg.lola,
    "hamiltonian": gg.hamiltonian,
    "lookahead": lambda learning_rate: gg.lookahead(gg.gda(learning_rate=learning_rate)),
}
