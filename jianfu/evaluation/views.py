"""TEMPORARY: the pages are being written."""
from django.http import Http404

def campaign_index(request, *args, **kwargs):
    raise Http404


def campaign_new(request, *args, **kwargs):
    raise Http404


def settings_page(request, *args, **kwargs):
    raise Http404


def my_ballots(request, *args, **kwargs):
    raise Http404


def vote_with_code(request, *args, **kwargs):
    raise Http404


def campaign_detail(request, *args, **kwargs):
    raise Http404


def campaign_edit(request, *args, **kwargs):
    raise Http404


def campaign_action(request, *args, **kwargs):
    raise Http404


def vote(request, *args, **kwargs):
    raise Http404


def evaluators(request, *args, **kwargs):
    raise Http404


def sheets(request, *args, **kwargs):
    raise Http404


def sheet_pdf(request, *args, **kwargs):
    raise Http404


def paper(request, *args, **kwargs):
    raise Http404


def paper_template_download(request, *args, **kwargs):
    raise Http404


def paper_batch(request, *args, **kwargs):
    raise Http404


def results(request, *args, **kwargs):
    raise Http404


def results_export(request, *args, **kwargs):
    raise Http404


def target_confirm(request, *args, **kwargs):
    raise Http404


